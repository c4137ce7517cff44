// The live list of a guided session: each judged request arrives as a server-sent event.
(function () {
  "use strict";
  var list = document.getElementById("judged");
  if (!list || !window.EventSource) { return; }
  var source = new EventSource(list.getAttribute("data-events"));
  function text(tag, value, cls) {
    var node = document.createElement(tag);
    node.textContent = value;
    if (cls) { node.className = cls; }
    return node;
  }
  source.addEventListener("judged", function (message) {
    var item = JSON.parse(message.data);
    var li = document.createElement("li");
    li.className = "card step " + item.outcome;
    li.setAttribute("data-outcome", item.outcome);
    li.setAttribute("data-step", item.step);
    li.appendChild(text("span", item.outcome, "badge " + item.outcome));
    li.appendChild(document.createTextNode(" "));
    li.appendChild(text("code", item.scenario));
    li.appendChild(document.createTextNode(" · " + item.step + " · "));
    li.appendChild(text("code", item.method + " " + item.path));
    li.appendChild(document.createTextNode(" → " + item.status));
    item.findings.forEach(function (finding) { li.appendChild(text("div", finding.message, "diff")); });
    list.appendChild(li);
  });
  source.addEventListener("state", function (message) {
    var state = JSON.parse(message.data);
    if (state.finished) { source.close(); window.location.reload(); return; }
    var instruction = document.getElementById("instruction");
    var where = document.getElementById("where");
    if (instruction && instruction.textContent !== state.cashier) { instruction.textContent = state.cashier; }
    if (where) { where.textContent = state.scenario + ", step " + state.step; }
  });
}());
