"""The site's widgets: one module per widget (render + mount + PROPS), plus shared helpers."""
