/* krefeld-kg: YASGUI on the query page, set up from the page's own data-config (see serve/yasgui.py).
   Without this script, or without YASGUI, the plain form on the page does the same job. */
(function () {
  "use strict";
  var mount = document.getElementById("yasgui");
  var Yasgui = window.Yasgui;
  if (!mount || typeof Yasgui !== "function") {
    return;
  }
  var config = JSON.parse(mount.getAttribute("data-config"));
  var endpoint = window.location.origin + config.endpoint;

  // Only this endpoint, only the built-in prefix list: no suggestions fetched from elsewhere.
  Yasgui.defaults.yasqe.autocompleters = ["prefixes", "variables"];
  Yasgui.defaults.endpointCatalogueOptions.getData = function () {
    return [{ endpoint: endpoint }];
  };

  // IRIs of this dataset open their pages on this site (the IRIs themselves resolve elsewhere).
  function escapeRegExp(text) {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }
  var resource = new RegExp(
    "^" + escapeRegExp(config.base) + "id/(" + config.types.join("|") + ")/([a-z0-9]+(?:-{1,2}[a-z0-9]+)*)(?:#(.*))?$"
  );
  function escapeHtml(text) {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  }
  function localPage(iri) {
    var match = resource.exec(iri);
    if (!match) {
      return null;
    }
    var fragment = match[3] ? "#" + encodeURIComponent(match[3]) : "";
    return "/doc/" + match[1] + "/" + match[2] + config.query + fragment;
  }
  // YASGUI opens every link in a new window (a sanitizer hook sets target="_blank"); this site's own pages
  // open in place, like every other link on the site, and the back button returns to the results.
  var Table = Yasgui.Yasr.plugins.table;
  if (Table) {
    var link = Table.prototype.getUriLinkFromBinding;
    Table.prototype.getUriLinkFromBinding = function (binding, prefixes) {
      var html = link.call(this, binding, prefixes);
      var local = localPage(binding.value);
      if (local === null) {
        return html;
      }
      return html
        .replace(/\s(?:target|rel)=("[^"]*"|'[^']*')/g, "")
        .replace(/\shref=("[^"]*"|'[^']*')/, ' href="' + local + '" title="' + escapeHtml(binding.value) + '"');
    };
  }

  // Shown before YASGUI is built: its editor measures itself when it is made.
  mount.hidden = false;
  var yasgui = new Yasgui(mount, {
    persistenceId: "krefeld-kg@" + window.location.host,
    copyEndpointOnNewTab: false,
    requestConfig: {
      endpoint: endpoint,
      method: "GET",
      acceptHeaderGraph: "text/turtle,*/*;q=0.9",
    },
    yasqe: { value: config.initial || "" },
    yasr: { prefixes: config.prefixes },
  });

  function openExample(index) {
    var example = config.examples[index];
    if (!example) {
      return;
    }
    var tab = yasgui.addTab(
      true,
      { name: example.title, yasqe: { value: example.query }, requestConfig: { endpoint: endpoint } },
      { avoidDuplicateTabs: true }
    );
    var current = yasgui.getTab() || tab;
    current.query().catch(function () {});
    mount.scrollIntoView({ block: "start" });
  }

  // The catalogue as a picker above the editor.
  if (config.examples.length) {
    var bar = document.createElement("form");
    bar.className = "yasgui-examples";
    var label = document.createElement("label");
    label.htmlFor = "yasgui-example";
    label.textContent = config.texts.examples;
    var select = document.createElement("select");
    select.id = "yasgui-example";
    var none = document.createElement("option");
    none.value = "";
    none.textContent = config.texts.choose;
    select.appendChild(none);
    config.examples.forEach(function (example, index) {
      var option = document.createElement("option");
      option.value = String(index);
      option.textContent = example.title;
      if (example.description) {
        option.title = example.description;
      }
      select.appendChild(option);
    });
    var button = document.createElement("button");
    button.type = "submit";
    button.textContent = config.texts.open;
    bar.appendChild(label);
    bar.appendChild(select);
    bar.appendChild(button);
    bar.addEventListener("submit", function (event) {
      event.preventDefault();
      if (select.value !== "") {
        openExample(Number(select.value));
      }
    });
    mount.parentNode.insertBefore(bar, mount);
  }
  // The examples' own "run" links open in the editor too.
  document.querySelectorAll("a[data-example]").forEach(function (anchor) {
    anchor.addEventListener("click", function (event) {
      if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) {
        return;
      }
      event.preventDefault();
      openExample(Number(anchor.getAttribute("data-example")));
    });
  });

  // The editor is here: the plain form steps aside.
  var form = document.querySelector("form.query");
  if (form) {
    form.hidden = true;
  }
  document.documentElement.classList.add("has-yasgui");
})();
