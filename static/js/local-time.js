// Online events: next to each time in the event's zone, the visitor's own time when
// their browser is in another zone. Without JavaScript the event's zone, named on the
// page, is all there is; nothing is lost.
(function () {
  var note = document.querySelector(".event-zone[data-zone]");
  if (!note || !window.Intl || !Intl.DateTimeFormat) { return; }
  var eventZone = note.getAttribute("data-zone");
  var mine = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!mine || mine === eventZone) { return; }
  var lang = document.documentElement.lang || "it";
  var template = note.getAttribute("data-your-time");
  var day = new Intl.DateTimeFormat(lang, { weekday: "long", day: "numeric", month: "long", timeZone: mine });
  var time = new Intl.DateTimeFormat(lang, { hour: "numeric", minute: "2-digit", hourCycle: "h23", timeZone: mine });
  var zone = new Intl.DateTimeFormat(lang, { timeZoneName: "long", timeZone: mine });
  function zoneName(date) {
    var parts = zone.formatToParts(date).filter(function (p) { return p.type === "timeZoneName"; });
    return parts.length ? parts[0].value : mine;
  }
  document.querySelectorAll("time[data-local-end]").forEach(function (el) {
    var start = new Date(el.getAttribute("datetime"));
    var end = new Date(el.getAttribute("data-local-end"));
    if (isNaN(start) || isNaN(end)) { return; }
    var text = day.format(start) + ", " + time.format(start) + "–" + time.format(end) + " (" + zoneName(start) + ")";
    var out = document.createElement("span");
    out.className = "local-time d-block small text-muted";
    var local = document.createElement("time");
    local.setAttribute("datetime", start.toISOString());
    local.textContent = text;
    var parts = template.split("%(time)s");
    out.appendChild(document.createTextNode(parts[0]));
    out.appendChild(local);
    out.appendChild(document.createTextNode(parts[1] || ""));
    el.insertAdjacentElement("afterend", out);
  });
})();
