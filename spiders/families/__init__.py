"""One spider per CMS family; portals are arguments, never subclasses."""
