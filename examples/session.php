<?php
// session.php: sessionwrap's session for PHP under php-fpm (upstream) or
// php-cgi (scripts). Include it, read and write before any output:
//
//   <?php
//   require __DIR__ . '/session.php';
//   $n = session_get('n', 0) + 1;
//   session_set('n', $n);
//   echo "visit $n\n";
//
// Reading uses $_SERVER['SESSION'] (the session data as JSON) and
// $_SERVER['SESSION_USER']; writing sends the X-Session-* response headers
// sessionwrap consumes and strips. The session cookie itself never reaches
// PHP; do not call session_start() as well.

// The session data as an array (decoded once).
function session_all() {
	static $data = null;
	if ($data === null) {
		$data = json_decode($_SERVER['SESSION'] ?? '{}', true);
		if (!is_array($data))
			$data = [];
	}
	return $data;
}

// The top-level value KEY, or $default when absent.
function session_get($key, $default = null) {
	$data = session_all();
	return array_key_exists($key, $data) ? $data[$key] : $default;
}

// The logged-in user, or '' for an anonymous session.
function session_user() {
	return $_SERVER['SESSION_USER'] ?? '';
}

// Set the top-level KEY to any JSON value (null deletes it), as a merge
// patch: concurrent requests of one session keep each other's keys.
function session_set($key, $value) {
	$patch = json_encode([(string)$key => $value],
	    JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
	if ($patch === false)
		throw new InvalidArgumentException("session_set: $key: not JSON");
	header('X-Session-Patch: ' . $patch, false);
}

// Log USER in: a new session id, SESSION_USER set, the data kept.
function login($user) {
	if ($user === '' || preg_match('/[\x00-\x1f\x7f]/', $user))
		throw new InvalidArgumentException('login: bad user name');
	header('X-Session-Login: ' . $user, false);
}

// End the session and expire its cookie.
function logout() {
	header('X-Session-Logout: 1', false);
}
