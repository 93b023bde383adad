"""Event photos: images and Figma links attached to events, their comments, and where the files live."""
