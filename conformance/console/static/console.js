// Live lists over server-sent events: a guided session's judgements, and the inspect page's exchange log.
(function () {
  "use strict";
  if (!window.EventSource) { return; }
  function text(tag, value, cls) {
    var node = document.createElement(tag);
    node.textContent = value;
    if (cls) { node.className = cls; }
    return node;
  }

  var judged = document.getElementById("judged");
  if (judged && judged.getAttribute("data-live") === "yes") {
    var session = new EventSource(judged.getAttribute("data-events"));
    session.addEventListener("judged", function (message) {
      var item = JSON.parse(message.data);
      var li = document.createElement("li");
      li.className = "card step " + item.outcome;
      li.setAttribute("data-outcome", item.outcome);
      li.setAttribute("data-step", item.step);
      li.appendChild(text("span", item.outcome, "badge " + item.outcome));
      li.appendChild(document.createTextNode(" "));
      li.appendChild(text("code", item.scenario));
      li.appendChild(document.createTextNode(" · " + item.step + " · "));
      if (item.method) {
        li.appendChild(text("code", item.method + " " + item.path));
        li.appendChild(document.createTextNode(" → " + item.status));
      } else {
        li.appendChild(document.createTextNode("skipped at the till"));
      }
      item.findings.forEach(function (finding) { li.appendChild(text("div", finding.message, "diff")); });
      judged.appendChild(li);
    });
    session.addEventListener("state", function (message) {
      var state = JSON.parse(message.data);
      if (state.finished) { session.close(); window.location.reload(); return; }
      var instruction = document.getElementById("instruction");
      var where = document.getElementById("where");
      if (instruction && instruction.textContent !== state.cashier) { instruction.textContent = state.cashier; }
      if (where) { where.textContent = state.scenario + ", step " + state.step; }
    });
  }

  var exchanges = document.getElementById("exchanges");
  if (exchanges) {
    var log = new EventSource(exchanges.getAttribute("data-events"));
    log.addEventListener("exchange", function (message) {
      var entry = JSON.parse(message.data);
      var empty = document.getElementById("no-exchanges");
      if (empty) { empty.remove(); }
      var li = document.createElement("li");
      li.className = "card";
      var details = document.createElement("details");
      var summary = document.createElement("summary");
      var status = entry.response.status;
      summary.appendChild(text("span", String(status), "badge " + (status < 400 ? "pass" : "fail")));
      summary.appendChild(document.createTextNode(" #" + entry.seq + " "));
      var query = entry.request.query ? "?" + entry.request.query : "";
      summary.appendChild(text("code", entry.request.method + " " + entry.request.path + query));
      summary.appendChild(document.createTextNode(" " + (entry.operation_id || "") + " "));
      summary.appendChild(text("span", entry.at, "muted"));
      details.appendChild(summary);
      details.appendChild(text("pre", JSON.stringify(entry.request.body)));
      details.appendChild(text("pre", JSON.stringify(entry.response.body)));
      li.appendChild(details);
      exchanges.insertBefore(li, exchanges.firstChild);
    });
  }
}());
