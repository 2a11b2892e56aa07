-- The "Redis plus a Lua script" token bucket that teams deploy instead of a dedicated
-- limiter; drl's benchmarks measure it side by side as the baseline to beat.
-- KEYS[1] = bucket key; ARGV[1] = capacity; ARGV[2] = tokens refilled per millisecond;
-- ARGV[3] = cost. Returns {allowed (0/1), tokens left (floored)}.
local capacity = tonumber(ARGV[1])
local per_ms = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now_ms = clock[1] * 1000 + math.floor(clock[2] / 1000)
local saved = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(saved[1]) or capacity
local at = tonumber(saved[2]) or now_ms
tokens = math.min(capacity, tokens + (now_ms - at) * per_ms)
local allowed = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'at', now_ms)
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / per_ms))
return {allowed, math.floor(tokens)}
