"""Side-by-side speed and memory measurements of the Hoko mock, a bare ceiling app and Prism."""
