// Idle logout (issue 5): django-session-security's script (session_security/script.js, with the
// jQuery that Django's admin ships) watches for activity in every tab, warns after WARN_AFTER
// idle seconds and signs out after EXPIRE_AFTER. Its settings come from this script tag's data-
// attributes, so no inline bootstrap is needed. At expiry the page is hidden and the session
// ended as by the Lock button (quick-lock.js), or, where there is none (the admin), by posting the
// hidden #session_security_logout_form to the same lock URL.
(function () {
  "use strict";
  var config = document.getElementById("idle-logout");
  if (!config || !window.yourlabs || !window.jQuery) return;
  var data = config.dataset;
  var sessionSecurity = new window.yourlabs.SessionSecurity({
    pingUrl: data.pingUrl,
    warnAfter: parseInt(data.warnAfter, 10),
    expireAfter: parseInt(data.expireAfter, 10),
  });
  var libraryExpire = sessionSecurity.expire;
  sessionSecurity.expire = function () {
    this.expired = true;
    var lock = document.getElementById("quick-lock");
    if (lock && lock.requestSubmit) {
      lock.requestSubmit();
    } else {
      libraryExpire.call(this);
    }
  };
  window.sessionSecurity = sessionSecurity;
})();
