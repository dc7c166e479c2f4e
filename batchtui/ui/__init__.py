"""The Textual dashboard; import `batchtui.ui.app.make_app` to build it."""
