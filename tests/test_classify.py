"""The small classifier of minigan.metrics.classify and the classification accuracy score."""

import numpy as np
import pytest

import minigan as mg
from minigan.data import load_dataset
from minigan.metrics import SmallCNN, accuracy, classification_accuracy_score, train_classifier


def test_small_cnn_shapes_and_errors():
    model = SmallCNN((1, 8, 8), num_classes=10, width=4)
    assert model(mg.zeros(3, 1, 8, 8)).shape == (3, 10)
    with pytest.raises(ValueError, match=r"SmallCNN expects images of shape \(N, 1, 8, 8\)"):
        model(mg.zeros(3, 1, 16, 16))
    with pytest.raises(ValueError, match="multiples of 4"):
        SmallCNN((1, 10, 10))


def test_train_classifier_input_errors():
    x = np.zeros((4, 1, 8, 8), dtype=np.float32)
    with pytest.raises(ValueError, match="4 images but 3 labels"):
        train_classifier(x, np.zeros(3, dtype=np.int64), steps=1)
    with pytest.raises(TypeError, match="labels must be integers"):
        train_classifier(x, np.zeros(4), steps=1)
    with pytest.raises(ValueError, match=r"labels must be in 0\.\.9, got 0\.\.10"):
        train_classifier(x, np.array([0, 1, 2, 10]), steps=1)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        train_classifier(np.zeros((4, 64), dtype=np.float32), np.zeros(4, dtype=np.int64), steps=1)


def test_the_classifier_learns_digits_and_is_seeded():
    ds = load_dataset("digits")
    x_train, y_train, x_test, y_test = ds.data[:1200], ds.labels[:1200], ds.data[1200:], ds.labels[1200:]
    a = classification_accuracy_score(x_train, y_train, x_test, y_test, steps=150, seed=3)
    assert a > 0.8  # chance: 0.1
    assert a == classification_accuracy_score(x_train, y_train, x_test, y_test, steps=150, seed=3)
    scrambled = np.random.default_rng(0).permutation(y_train)  # labels that carry no information
    assert classification_accuracy_score(x_train, scrambled, x_test, y_test, steps=150, seed=3) < 0.3
    model = train_classifier(x_train, y_train, steps=150, seed=3)
    assert accuracy(model, x_test, y_test) == a
