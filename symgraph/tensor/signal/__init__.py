"""``theano.tensor.signal``: pooling (``from symgraph.tensor.signal import pool``)."""
