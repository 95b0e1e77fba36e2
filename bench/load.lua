-- wrk script of bench/load.sh: many sessions, concurrent writers per session,
-- and a count of every acknowledged write.
--
--   wrk ... -s bench/load.lua URL -- COOKIES MODE TOKENS
--
-- COOKIES: a file with one session cookie value per line (session 1, 2, ...).
-- MODE: "merge"  every token is one counter key of one session; a token has
--                at most one request in flight, so each acknowledged write
--                must have seen the previous one (v = the last v + 1);
--       "exclusive"  the tokens of a session all increment its key "n";
--       "cookie" the session lives in the cookie, which wrk never updates:
--                every answer must be 1 more than the cookie's value (0).
-- TOKENS: tokens per thread (more than its connections).
--
-- The handler answers "tok=T s=S k=K v=V". done() writes "ack S K COUNT"
-- lines (and "status CODE COUNT", "stale N", "lost_tokens N", "noop N") to
-- $LOAD_OUT.

local threads = {}

function setup(thread)
	table.insert(threads, thread)
	thread:set("tid", #threads)
end

function init(args)
	mode = args[2]
	ntok = tonumber(args[3])
	cookies = {}
	for line in io.lines(args[1]) do
		cookies[#cookies + 1] = line
	end
	local nsess = #cookies
	-- Pre-built requests, one per token; free tokens on a stack.
	reqs = {}
	free = {}
	for i = 1, ntok do
		local s = ((tid - 1) * ntok + i - 1) % nsess + 1
		local k = mode == "merge" and string.format("t%dk%d", tid, i) or "n"
		reqs[i] = wrk.format("GET",
		    string.format("/cgi-bin/load.sh?tok=%d&s=%d&k=%s", i, s, k),
		    { ["Cookie"] = "sessionwrap=" .. cookies[s] })
		free[#free + 1] = i
	end
	noopreq = wrk.format("GET", "/cgi-bin/load.sh?tok=0&s=0&k=noop",
	    { ["Cookie"] = "sessionwrap=" .. cookies[1] })
	acks = {}
	last = {}
	status = {}
	stale = 0
	lost_tokens = 0
	noop = 0
end

function request()
	local i = table.remove(free)
	if i == nil then
		noop = noop + 1
		return noopreq
	end
	return reqs[i]
end

function response(code, headers, body)
	local key = tostring(code)
	status[key] = (status[key] or 0) + 1
	local t, s, k, v = string.match(body, "^tok=(%d+) s=(%d+) k=(%w+) v=(%d+)")
	if t == nil then
		-- Not from the handler (an error page): its token is gone.
		lost_tokens = lost_tokens + 1
		return
	end
	t = tonumber(t)
	if t == 0 then
		return
	end
	free[#free + 1] = t
	if code ~= 200 then
		return
	end
	local ak = s .. " " .. k
	acks[ak] = (acks[ak] or 0) + 1
	v = tonumber(v)
	if (mode == "merge" and last[ak] ~= nil and v ~= last[ak] + 1) or
	    (mode == "cookie" and v ~= 1) then
		stale = stale + 1
	end
	last[ak] = v
end

function done(summary, latency, requests)
	local out = assert(io.open(os.getenv("LOAD_OUT"), "w"))
	local tot = { stale = 0, lost_tokens = 0, noop = 0 }
	local st = {}
	for _, t in ipairs(threads) do
		for k, n in pairs(t:get("acks")) do
			out:write(string.format("ack %s %d\n", k, n))
		end
		for k, n in pairs(t:get("status")) do
			st[k] = (st[k] or 0) + n
		end
		for k, _ in pairs(tot) do
			tot[k] = tot[k] + t:get(k)
		end
	end
	for k, n in pairs(st) do
		out:write(string.format("status %s %d\n", k, n))
	end
	for k, n in pairs(tot) do
		out:write(string.format("%s %d\n", k, n))
	end
	local e = summary.errors
	out:write(string.format("requests %d\nduration_us %d\n", summary.requests, summary.duration))
	out:write(string.format("errors_connect %d\nerrors_read %d\nerrors_write %d\nerrors_timeout %d\n",
	    e.connect, e.read, e.write, e.timeout))
	out:write(string.format("latency_p50_us %d\nlatency_p99_us %d\nlatency_max_us %d\n",
	    latency:percentile(50), latency:percentile(99), latency.max))
	out:close()
end
