-- wrk script of `manage.py bench` (cases/benchmark/wrk.py): every request carries the session cookie
-- of a signed-in bench user and asks for PATH with {id} replaced by a random case id from IDS_FILE.
--   wrk -t2 -c8 -d10s -s bench/wrk.lua http://127.0.0.1:PORT -- PATH COOKIE IDS_FILE
local path, cookie, ids = "/", nil, {}

function init(args)
  path = args[1] or "/"
  cookie = args[2]
  if args[3] and args[3] ~= "" then
    for line in io.lines(args[3]) do
      if line ~= "" then ids[#ids + 1] = line end
    end
  end
  math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)"), 16) or 0) % 100000)
end

function request()
  local target = path
  if #ids > 0 then target = path:gsub("{id}", ids[math.random(#ids)]) end
  local headers = {}
  if cookie and cookie ~= "" then headers["Cookie"] = cookie end
  return wrk.format("GET", target, headers)
end
