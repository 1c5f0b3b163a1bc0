-- Tables: array append and indexing, table.insert/remove, table.sort (default order and a
-- comparator), hash tables with integer and string keys (insert, lookup, update, delete),
-- and pairs/ipairs iteration. Random numbers come from a fixed LCG. Prints one checksum line.

local seed = 12345
local function rand(n)
  seed = (seed * 1103515245 + 12345) & 0x7fffffff
  return seed % n
end

local function arrays(n)
  local a = {}
  for i = 1, n do a[#a + 1] = rand(1000000) end
  table.sort(a)
  local h = 0
  for i = 1, #a, 7 do h = (h * 131 + a[i]) & 0xffffffff end
  local b = {}
  for i = 1, n // 4 do b[i] = { key = rand(1000), id = i } end
  table.sort(b, function(x, y)
    if x.key ~= y.key then return x.key > y.key end
    return x.id < y.id
  end)
  for i = 1, #b, 5 do h = (h * 131 + b[i].id) & 0xffffffff end
  local q = {}
  for i = 1, 2000 do table.insert(q, i) end
  for i = 1, 1500 do h = h + table.remove(q, 1 + rand(#q)) end
  return h
end

local function hashes(n)
  local t, count = {}, 0
  for i = 1, n do
    local k = rand(n)
    t[k] = (t[k] or 0) + i
  end
  for k, v in pairs(t) do count = (count + k * 3 + v) & 0xffffffff end
  for i = 0, n - 1, 2 do t[i] = nil end
  for _, v in pairs(t) do count = (count + v) & 0xffffffff end
  local s = {}
  for i = 1, n // 2 do s["k" .. rand(5000)] = i end
  for i = 1, n // 2 do
    local v = s["k" .. i % 5000]
    if v then count = (count + v) & 0xffffffff end
  end
  return count
end

local function matrix(n)
  local m = {}
  for i = 1, n do
    local row = {}
    for j = 1, n do row[j] = (i * j + rand(10)) % 97 end
    m[i] = row
  end
  local sum = 0
  for i = 1, n do
    local ri = m[i]
    for j = 1, n do
      local s = 0
      for k = 1, n do s = s + ri[k] * m[k][j] end
      sum = (sum + s) & 0xffffffff
    end
  end
  return sum
end

local a = arrays(40000)
local b = hashes(60000)
local c = matrix(50)
print(string.format("tables: arrays %d hashes %d matrix %d", a, b, c))
