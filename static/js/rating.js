// "Was this page useful?": once yes or no is chosen, offer only the reasons that fit it.
// Without JavaScript every reason is listed and the form works the same.
(function () {
  var form = document.querySelector(".page-rating-form");
  if (!form) { return; }
  var select = form.querySelector("select[name=reason]");
  function fit() {
    var chosen = form.querySelector("input[name=useful]:checked");
    var answer = chosen ? chosen.value : "";
    Array.prototype.forEach.call(select.querySelectorAll("optgroup"), function (group) {
      var show = !answer || group.getAttribute("data-for") === answer;
      group.hidden = !show;
      group.disabled = !show;
    });
    var current = select.options[select.selectedIndex];
    if (current && current.parentNode.disabled) { select.value = ""; }
  }
  form.addEventListener("change", fit);
  fit();
})();
