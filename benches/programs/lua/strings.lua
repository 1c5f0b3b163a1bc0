-- Strings: building with .. and table.concat, string.format, gsub with patterns and with a
-- function, find/match/gmatch, byte/char, rep, upper/lower, sub and reverse. Prints one
-- checksum line (a hash of the strings produced).

local function hash(h, s)
  for i = 1, #s, 3 do h = (h * 33 + s:byte(i)) & 0xffffffff end
  return (h + #s) & 0xffffffff
end

local function build(n)
  local parts = {}
  for i = 1, n do
    parts[#parts + 1] = string.format("%05d:%x:%s;", i, i * 7919, i % 3 == 0 and "fizz" or "buzz")
  end
  local s = table.concat(parts)
  local t = ""
  for i = 1, 2000 do t = t .. string.char(65 + i % 26) end
  return hash(hash(0, s), t), s
end

local function patterns(s)
  local h = 0
  local r1, n1 = s:gsub("fizz", "FIZZ")
  h = hash(h, r1) + n1
  local r2 = s:gsub("(%d+):(%x+)", function(a, b) return b .. "=" .. a end)
  h = hash(h, r2)
  local r3 = s:gsub("%a+", string.upper)
  h = hash(h, r3)
  for num, word in s:gmatch("(%d+):%x+:(%a+);") do
    if word == "fizz" then h = (h + tonumber(num)) & 0xffffffff end
  end
  local pos, count = 1, 0
  while true do
    local a, b = s:find("buzz", pos, true)
    if not a then break end
    count = count + 1
    pos = b + 1
  end
  return (h + count) & 0xffffffff
end

local function words(n)
  local h = 0
  for i = 1, n do
    local w = ("ab"):rep(i % 10 + 1) .. tostring(i)
    local u = w:upper():reverse()
    h = hash(h, u:sub(2, -2) .. w:lower())
    local x = string.format("%-12s|%8.3f|%d", w, i / 7, #u)
    h = hash(h, x)
  end
  return h
end

local a, s = build(12000)
local b = patterns(s)
local c = words(10000)
print(string.format("strings: build %d patterns %d words %d (length %d)", a, b, c, #s))
