"""The numbered lessons, ``NN_topic.py``: scripts in jupytext's percent format, each exposing ``main(quick, out_dir)``.

The folder ships inside the wheel as the package ``minigan.lessons`` so that ``minigan lesson`` works from
a plain install; run one with ``minigan lesson NN [--quick]`` or ``python lessons/NN_topic.py``.
"""
