-- wrk script of bench/run: prints one JSON line with the totals and latency
-- percentiles at the end. With BENCH_PATHS set (a file, one URI per line) every
-- request picks one of those URIs at random (the 10,000-file tree workload).

local paths = nil
local list = os.getenv("BENCH_PATHS")
if list ~= nil and list ~= "" then
   paths = {}
   for line in io.lines(list) do
      if line ~= "" then
         paths[#paths + 1] = line
      end
   end
end

if paths ~= nil then
   local reqs = {}
   init = function(args)
      math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
      for i = 1, #paths do
         reqs[i] = wrk.format("GET", paths[i])
      end
   end
   request = function()
      return reqs[math.random(#reqs)]
   end
end

done = function(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      '{"requests":%d,"bytes":%d,"duration_us":%d,"err_connect":%d,"err_read":%d,' ..
      '"err_write":%d,"err_status":%d,"err_timeout":%d,"p50":%d,"p90":%d,"p99":%d,"max":%d}\n',
      summary.requests, summary.bytes, summary.duration, e.connect, e.read, e.write,
      e.status, e.timeout, latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency.max))
end
