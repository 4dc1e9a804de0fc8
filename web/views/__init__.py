"""Page views, one module per face: merchant portal, factory phone pages, admin dashboard."""
