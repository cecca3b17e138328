// django-celery-beat's periodic task form in admin (templates/admin/djcelery/
// change_periodictask_form.html): shows the chosen crontab in words under its field. The
// package ships this as an inline script, which the Content-Security-Policy does not allow.
(function () {
  var script = document.currentScript;
  var $ = window.django && window.django.jQuery;
  if (!$ || !script) return;
  var readableCrontabs = JSON.parse($("#readable-crontabs").text());
  var originalHelp = script.getAttribute("data-crontab-help") || "";
  $(".field-crontab_translation").hide();
  $(".field-crontab").change(function () {
    var help = $(".field-crontab .help").text(originalHelp);
    var words = readableCrontabs[$("#id_crontab").val()];
    if (words) help.append($("<br>"), document.createTextNode("Translation: " + words));
  });
})();
