"""What the main window's menus do: files, sharing links, lessons, downloads, the Tools menu and the
presentation layout. Each is a small object the window holds; the menu table lists them."""
