// The browser side of live.sh: open ws://host/ws (the web server proxies it
// to sessionwrap-ws with the session cookie), show each line the server's
// handler sends ("connected for N seconds"), and say how the socket closed.
// 4001 is sessionwrap-ws's ws_close_code: the session logged out.
(function () {
	"use strict";
	var state = document.getElementById("state");
	var since = document.getElementById("since");
	var hint = document.getElementById("hint");
	var scheme = location.protocol === "https:" ? "wss://" : "ws://";
	var ws = new WebSocket(scheme + location.host + "/ws");

	function show(text, cls) {
		state.textContent = text;
		state.className = cls;
	}

	ws.onopen = function () {
		show("socket open", "open");
	};
	ws.onmessage = function (e) {
		since.textContent = e.data;
	};
	ws.onclose = function (e) {
		show("socket closed (code " + e.code + ")", "closed");
		if (e.code === 4001)
			hint.textContent = "Your session ended (logged out, in this tab " +
			    "or another). Reload to log in again.";
		else
			hint.textContent = "Reload to try again.";
	};
})();
