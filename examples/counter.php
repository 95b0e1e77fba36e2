<?php
// A visit counter and a login form in PHP, under php-fpm behind sessionwrap
// (examples/demo.sh --php): the session through session.php, no
// session_start(), no cookie handling in PHP.
require __DIR__ . '/session.php';

if ($_SERVER['REQUEST_METHOD'] === 'POST') {
	if (isset($_POST['logout']))
		logout();
	elseif (($_POST['user'] ?? '') !== '')
		login(substr(preg_replace('/[^A-Za-z0-9_.-]/', '', $_POST['user']), 0, 32) ?: 'guest');
	header('Location: counter.php', true, 303);
	exit;
}
$n = (int)session_get('n', 0) + 1;
session_set('n', $n);
$user = session_user();
header('Content-Type: text/html; charset=utf-8');
$h = fn($s) => htmlspecialchars($s, ENT_QUOTES);
?>
<!DOCTYPE html>
<html><head><title>PHP counter</title><link rel="stylesheet" href="demo.css"></head>
<body>
<nav><a href="./">Home</a> <a href="counter.php">PHP counter</a></nav>
<h1>Visit number <?= $n ?></h1>
<p>PHP <?= $h(PHP_VERSION) ?> under php-fpm; the session is sessionwrap's
(<?= $user === '' ? 'not logged in' : 'logged in as <b>' . $h($user) . '</b>' ?>).
PHP never sees the session cookie: <code>$_COOKIE</code> holds
<?= count($_COOKIE) ?> cookie(s).</p>
<form method="post">
<?php if ($user === ''): ?>
<input name="user" placeholder="user name"> <button>Log in</button>
<?php else: ?>
<button name="logout" value="1">Log out</button>
<?php endif; ?>
</form>
</body></html>
