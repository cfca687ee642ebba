-- wrk script for bench/run: optional per-request cookies and CSRF POSTs, and a JSON summary with p95.
--
-- Environment (read by wrk's LuaJIT through os.getenv):
--   BENCH_COOKIES   cookie headers separated by "|" (one per logged-in user); requests take them in turn
--   BENCH_TOKENS    CSRF tokens in the same order
--   BENCH_PAIR      "signup,withdraw" paths: every user alternates the two POSTs (sign up, then cancel), each
--                   after the answer to the one before
--   BENCH_PAIRS     one such pair per user, separated by "|" (each user on a shift of their own)
--   BENCH_AUTH      an Authorization header value (API)

local function split(value)
  local items = {}
  if value == nil or value == "" then return items end
  for item in string.gmatch(value, "([^|]+)") do table.insert(items, item) end
  return items
end

local cookies = split(os.getenv("BENCH_COOKIES"))
local tokens = split(os.getenv("BENCH_TOKENS"))
local pair = os.getenv("BENCH_PAIR")
local pairs_by_user = split(os.getenv("BENCH_PAIRS"))
local auth = os.getenv("BENCH_AUTH")
local threads = {}
local thread_index = 0

function setup(thread)
  thread:set("index", thread_index)
  thread_index = thread_index + 1
  table.insert(threads, thread)
end

local counter = 0
local users_per_thread = 1
local first_user = 1
local signup_path, withdraw_path
local signup_paths, withdraw_paths = {}, {}

function init(args)
  -- Threads use disjoint halves of the users: one user's requests never overlap.
  local count = #cookies
  if count > 0 then
    local share = math.floor(count / 2)
    if share < 1 then share = count end
    users_per_thread = share
    first_user = (index % 2) * share + 1
    if first_user > count then first_user = 1 end
  end
  if pair ~= nil and pair ~= "" then
    signup_path, withdraw_path = string.match(pair, "([^,]+),([^,]+)")
  end
  for user, value in ipairs(pairs_by_user) do
    signup_paths[user], withdraw_paths[user] = string.match(value, "([^,]+),([^,]+)")
  end
end

-- Sign-up and cancellation: each user's next action follows what the server last answered for them (the redirect
-- names the user and the action done), and a user with a request on its way is passed over. wrk makes requests
-- it never sends (one before the run, some when the server closes a connection): counting rounds instead would
-- now and then cancel a sign-up that was never made.
local signed_in = {}
local in_flight = {}

local function pair_request(user, headers)
  headers["Cookie"] = cookies[user]
  headers["Content-Type"] = "application/x-www-form-urlencoded"
  local action = signed_in[user] and "w" or "s"
  local body = "csrf_token=" .. tokens[user] .. "&next=/shifts/mine%3Fbench%3D" .. user .. action
  local path
  if signed_in[user] then path = withdraw_paths[user] or withdraw_path else path = signup_paths[user] or signup_path end
  return wrk.format("POST", path, headers, body)
end

local function next_pair_request(headers)
  for _ = 1, users_per_thread do
    local user = first_user + counter % users_per_thread
    counter = counter + 1
    if not in_flight[user] then
      in_flight[user] = true
      return pair_request(user, headers)
    end
  end
  -- Every user waits for an answer, or was lost to an unsent request or a refusal: the first one again.
  return pair_request(first_user, headers)
end

function request()
  local headers = {}
  if auth ~= nil and auth ~= "" then headers["Authorization"] = auth end
  if #cookies == 0 then
    return wrk.format("GET", wrk.path, headers)
  end
  if signup_path ~= nil or #signup_paths > 0 then
    return next_pair_request(headers)
  end
  local user = first_user + counter % users_per_thread
  counter = counter + 1
  headers["Cookie"] = cookies[user]
  return wrk.format("GET", wrk.path, headers)
end

bad = 0  -- a global, so done() can read it from every thread
function response(status, headers, body)
  local location = headers and headers["Location"]
  if location then
    local user, action = string.match(location, "bench=(%d+)([sw])")
    if user then
      user = tonumber(user)
      in_flight[user] = nil
      signed_in[user] = (action == "s")
    end
  end
  if status >= 400 then
    bad = bad + 1
    -- The first failures of each thread, so that bench/run can say what they were.
    if bad <= 3 then
      local message = string.match(body or "", '<h1[^>]*>.-</h1>%s*<p>(.-)</p>') or string.sub(body or "", 1, 160)
      io.write(string.format("BENCH_ERROR %d %s\n", status, message))
    end
  end
end

function done(summary, latency, requests)
  local failed = 0
  for _, thread in ipairs(threads) do failed = failed + (thread:get("bad") or 0) end
  local errors = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "http_errors": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max, failed, errors.connect + errors.read + errors.write + errors.timeout))
end
