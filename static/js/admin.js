// Buttons that cannot be undone ask first; without JavaScript they simply act.
document.addEventListener("submit", function (e) {
  var msg = e.target.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) { e.preventDefault(); }
});

// A box that ticks every box of a list ("select every failed message"); it stays hidden
// without JavaScript, where each box is ticked by hand.
document.querySelectorAll("input[data-check-all]").forEach(function (all) {
  var name = all.getAttribute("data-check-all");
  var boxes = all.form ? all.form.querySelectorAll('input[type=checkbox][name="' + name + '"]')
                       : document.querySelectorAll('input[type=checkbox][name="' + name + '"]');
  if (!boxes.length) { return; }
  all.hidden = false;
  all.addEventListener("change", function () {
    boxes.forEach(function (box) { box.checked = all.checked; });
  });
});
