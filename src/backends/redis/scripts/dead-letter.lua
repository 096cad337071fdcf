--[[
  dead-letter: a result writer gives up on one entry of a job's results stream: the entry
  is copied to the job's dead-letter stream with the error, then acknowledged and deleted
  from the results stream, in one step, so it is never in both streams nor in neither.

  The entry's own fields (r = record JSON, b = body) are copied from the results stream
  here rather than sent by the caller: an entry whose record does not even parse is kept
  byte for byte, and a body is not sent back over the network.
  Dead-letter entry: id <original id> error <message> failed_at <epoch ms> r <json> [b <body>]

  KEYS[1]  the job's results stream (jobKeys(job).results)
  KEYS[2]  the job's dead-letter stream (jobKeys(job).deadLetters); same {job} hash tag
  ARGV[1]  the consumer group
  ARGV[2]  the entry's id in the results stream
  ARGV[3]  the error message
  ARGV[4]  when the writer gave up, epoch ms

  Returns  1 when the entry was moved; 0 when it is no longer in the results stream (a
           writer that had claimed it wrote and acknowledged it meanwhile: nothing to move)
]]

local found = redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[2])
if #found == 0 then return 0 end
local entry = { 'id', ARGV[2], 'error', ARGV[3], 'failed_at', ARGV[4] }
-- Fields of the original, in their order; 'id', 'error' and 'failed_at' are ours.
local fields = found[1][2]
for i = 1, #fields, 2 do
  local name = fields[i]
  if name ~= 'id' and name ~= 'error' and name ~= 'failed_at' then
    entry[#entry + 1] = name
    entry[#entry + 1] = fields[i + 1]
  end
end
redis.call('XADD', KEYS[2], '*', unpack(entry))
-- Not counted as `written` (ack.lua's counter): produced = written + dead letters + backlog.
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
return 1
