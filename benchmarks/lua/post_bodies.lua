-- POST one JSON body per request, each from a line of the file args[1];
-- wrk's threads take every n-th line so no two requests ask for one slot.
local next_id = 1

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end

function init(args)
  bodies = {}
  for line in io.lines(args[1]) do
    bodies[#bodies + 1] = line
  end
  stride = tonumber(args[2])
  pace_ms = tonumber(args[3] or "0")
  index = id
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  local body = bodies[index] or bodies[1]
  index = index + stride
  return wrk.format(nil, nil, nil, body)
end

function delay()
  return pace_ms
end
