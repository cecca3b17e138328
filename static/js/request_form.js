// The new-request form (tickets/templates/tickets/request_form.html): shows the "likely
// incident" hint while the answers meet the incident definition. The threshold comes from the
// form's data-incident-min-users attribute; the server decides again on submit.
(function () {
  function watch(form) {
    var hint = document.getElementById("incident-hint");
    if (!hint) return;
    var minUsers = parseInt(form.getAttribute("data-incident-min-users") || "2", 10);
    var symptoms = ["cannot_log_in", "cannot_start_servers", "cannot_run_code", "cannot_use_dask"];
    function check() {
      var users = parseInt(form.elements["affected_users"].value || "0", 10) || 0;
      var blocked = symptoms.some(function (name) {
        return form.elements[name] && form.elements[name].checked;
      });
      hint.hidden = !(blocked && users >= minUsers);
    }
    form.addEventListener("input", check);
    form.addEventListener("change", check);
    check();
  }
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("request-form");
    if (form) watch(form);
  });
})();
