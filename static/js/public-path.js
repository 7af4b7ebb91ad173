// Where bootstrap-italia finds its fonts; read from this tag's data-path, so no inline script is needed.
window.__PUBLIC_PATH__ = document.currentScript.getAttribute("data-path");
addEventListener("DOMContentLoaded", function () {
  if (window.bootstrap && bootstrap.loadFonts) bootstrap.loadFonts();
});
