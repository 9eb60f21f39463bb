-- GET each path given as an argument in turn; optional pace via PACE_MS env-free arg "pace=N".
function init(args)
  paths = {}
  pace_ms = 0
  for _, arg in ipairs(args) do
    local pace = string.match(arg, "^pace=(%d+)$")
    if pace then pace_ms = tonumber(pace) else paths[#paths + 1] = arg end
  end
  index = 0
end

function request()
  index = index % #paths + 1
  return wrk.format("GET", paths[index])
end

function delay()
  return pace_ms
end
