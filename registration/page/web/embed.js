/* leasegraph registration embed.
 * <script src="https://YOUR-LEASEGRAPH-HOST/embed.js"></script>
 * leasegraph.register({propertyTag, fullName, mobilePhone, smsNotes, authToken, requireCc})
 *   opens the registration popup and resolves to {status, message}. */
(function () {
  "use strict";
  var script = document.currentScript;
  var base = new URL(script ? script.src : "/", location.href).origin;

  function register(opts) {
    opts = opts || {};
    return new Promise(function (resolve) {
      var q = new URLSearchParams();
      var names = {propertyTag: "property_tag", fullName: "full_name", mobilePhone: "mobile_phone",
        smsNotes: "sms_notes", authToken: "auth_token", requireCc: "require_cc"};
      Object.keys(names).forEach(function (k) {
        if (opts[k] !== undefined && opts[k] !== null) q.set(names[k], String(opts[k]));
      });
      q.set("crm_origin", location.origin);

      var overlay = document.createElement("div");
      overlay.setAttribute("role", "dialog");
      overlay.setAttribute("aria-label", "Register prospect");
      overlay.style.cssText = "position:fixed;inset:0;background:rgba(0,0,0,.45);display:flex;align-items:center;justify-content:center;z-index:2147483647";
      var box = document.createElement("div");
      box.style.cssText = "background:#fff;border-radius:10px;width:min(440px,96vw);height:min(640px,92vh);display:flex;flex-direction:column;overflow:hidden";
      var close = document.createElement("button");
      close.type = "button";
      close.textContent = "Close";
      close.style.cssText = "align-self:flex-end;margin:6px;padding:6px 10px";
      var frame = document.createElement("iframe");
      frame.title = "Register prospect";
      frame.src = base + "/prospects/registration?" + q.toString();
      frame.style.cssText = "border:0;flex:1;width:100%";
      box.appendChild(close);
      box.appendChild(frame);
      overlay.appendChild(box);
      document.body.appendChild(overlay);

      var settled = false;
      function settle(result) {
        if (settled) return;
        settled = true;
        window.removeEventListener("message", onMessage);
        resolve(result);
      }
      function onMessage(event) {
        if (event.origin !== base || event.source !== frame.contentWindow) return;
        try { settle(JSON.parse(event.data)); } catch (e) { /* not ours */ }
      }
      window.addEventListener("message", onMessage);
      close.addEventListener("click", function () {
        overlay.remove();
        settle({status: "incomplete", message: "The registration window was closed."});
      });
    });
  }

  window.leasegraph = {register: register};
})();
