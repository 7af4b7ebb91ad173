// Search-as-you-type on the check-in list: hides the people whose name does not match.
document.addEventListener("DOMContentLoaded", function () {
  var box = document.querySelector("[data-door-search]");
  if (!box) return;
  var rows = Array.prototype.slice.call(document.querySelectorAll(".eventi-door-list [data-name]"));
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  box.addEventListener("input", function () {
    var words = fold(box.value).split(/\s+/).filter(Boolean);
    rows.forEach(function (row) {
      var name = fold(row.getAttribute("data-name"));
      row.hidden = !words.every(function (w) { return name.indexOf(w) !== -1; });
    });
  });
});
