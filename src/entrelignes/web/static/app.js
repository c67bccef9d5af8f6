// Small progressive enhancements; every page works without this file.
// A desk form, once sent, cannot be sent twice by an impatient second click.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!(form instanceof HTMLFormElement) || form.method.toLowerCase() !== "post") return;
  window.setTimeout(function () {
    form.querySelectorAll("button[type=submit]").forEach(function (button) { button.disabled = true; });
  }, 0);
});
