// Upload forms: drop a file on the zone, see the upload's progress. Without this
// script the same form posts normally with its file picker.
(function () {
  "use strict";
  document.querySelectorAll("form[data-upload-form]").forEach(function (form) {
    var zone = form.querySelector("[data-drop-zone]");
    var input = zone && zone.querySelector("input[type=file]");
    var bar = form.querySelector("[data-upload-progress]");
    if (!zone || !input) { return; }
    var hint = zone.querySelector("[data-drop-hint]");
    if (hint) { hint.classList.remove("d-none"); }
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (e) {
        e.preventDefault();
        zone.classList.add("upload-drop-active");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("upload-drop-active"); });
    });
    zone.addEventListener("drop", function (e) {
      e.preventDefault();
      if (e.dataTransfer && e.dataTransfer.files.length) {
        input.files = e.dataTransfer.files;
        input.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
    form.addEventListener("submit", function (e) {
      if (!bar || !window.FormData || !input.files || !input.files.length) { return; }
      e.preventDefault();
      var xhr = new XMLHttpRequest();
      xhr.open(form.method, form.action || window.location.href);
      bar.classList.remove("d-none");
      xhr.upload.addEventListener("progress", function (p) {
        if (p.lengthComputable) { bar.value = Math.round((p.loaded / p.total) * 100); }
      });
      xhr.addEventListener("load", function () {
        // Show the page the server answered (the event page after a redirect, with its
        // message, or the form again with its errors) at the address it came from.
        if (xhr.responseURL) { window.history.replaceState(null, "", xhr.responseURL); }
        document.open();
        document.write(xhr.responseText);
        document.close();
      });
      xhr.addEventListener("error", function () { form.submit(); });
      xhr.send(new FormData(form));
    });
  });
})();
