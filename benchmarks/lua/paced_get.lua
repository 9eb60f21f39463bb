-- GET at a fixed pace per connection: args[1] milliseconds between requests.
function init(args)
  pace_ms = tonumber(args[1] or "0")
end

function delay()
  return pace_ms
end
