--[[
  ack: a result writer's batch is committed to PostgreSQL: its stream entries are
  acknowledged and deleted, so the stream's length is exactly what is not yet written
  (the back-pressure and the export's watermark both read it).

  KEYS[1]  the job hash (jobKeys(job).job)
  ARGV[1]  the consumer group
  ARGV[2..] stream entry ids

  Returns  how many entries were acknowledged (ids already acknowledged, e.g. by a writer
           that claimed them, count 0)
]]
--@include lib/keys

local B = string.sub(KEYS[1], 1, -4)
local ids = {}
for i = 2, #ARGV do ids[#ids + 1] = ARGV[i] end
if #ids == 0 then return 0 end
local acked = redis.call('XACK', k_results(B), ARGV[1], unpack(ids))
redis.call('XDEL', k_results(B), unpack(ids))
if acked > 0 then redis.call('HINCRBY', k_counters(B), 'written', acked) end
return acked
