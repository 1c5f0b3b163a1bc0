-- A workout for lua.wasm under `spur run` (tests/cli.rs compares its output with node's).
-- Deterministic output only; no pcall/coroutines (see shim/lua_wasi.h).
print(_VERSION, "on", arg[0], "with", #arg, "args:", table.concat(arg, " "))

-- integers, floats, bit operations
local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
print("fib(24) =", fib(24))
print("2^53+1 =", math.tointeger(2^53) + 1, "maxinteger =", math.maxinteger, "wrap:", math.maxinteger + 1 == math.mininteger)
print(string.format("pi=%.10f e=%.6e sqrt2=%g", math.pi, math.exp(1), math.sqrt(2)))
print("bits:", 0xF0 | 0x0F, 0xFF ~ 0x0F, 1 << 40, -1 >> 60, 7 // 2, -7 // 2, 7 % -3, 7.5 // 2)

-- sieve of Eratosthenes
local N, sieve, count, last = 200000, {}, 0, 0
for i = 2, N do
  if not sieve[i] then
    count, last = count + 1, i
    for j = i * i, N, i do sieve[j] = true end
  end
end
print("primes below " .. N .. ":", count, "largest:", last)

-- tables, sorting with a comparator, closures
local words = {}
for w in ("the quick brown fox jumps over the lazy dog and the cat"):gmatch("%a+") do words[#words + 1] = w end
table.sort(words, function(a, b) if #a ~= #b then return #a > #b end return a < b end)
print("sorted:", table.concat(words, " "))
local freq = {}
for _, w in ipairs(words) do freq[w] = (freq[w] or 0) + 1 end
local keys = {}
for k in pairs(freq) do keys[#keys + 1] = k end
table.sort(keys)
local parts = {}
for _, k in ipairs(keys) do parts[#parts + 1] = k .. "=" .. freq[k] end
print("freq:", table.concat(parts, ","))
local function counter() local n = 0 return function() n = n + 1 return n end end
local c1, c2 = counter(), counter()
c1(); c1()
print("closures:", c1(), c2())

-- metatables: a small vector class
local Vec = {}
Vec.__index = Vec
function Vec.new(x, y) return setmetatable({x = x, y = y}, Vec) end
function Vec.__add(a, b) return Vec.new(a.x + b.x, a.y + b.y) end
function Vec.__eq(a, b) return a.x == b.x and a.y == b.y end
function Vec.__tostring(v) return "(" .. v.x .. ", " .. v.y .. ")" end
function Vec:len() return math.sqrt(self.x ^ 2 + self.y ^ 2) end
local v = Vec.new(3, 4) + Vec.new(0, 0)
print("vector:", tostring(v), v:len(), v == Vec.new(3, 4))

-- strings: patterns, gsub, byte/char, rep, reverse, pack, utf8
local s = "Hello, World! 123 + 456 = 579"
print("gsub:", (s:gsub("%d+", function(d) return "<" .. d * 2 .. ">" end)))
print("find:", s:find("World"), s:match("(%d+) %+ (%d+)"))
print("upper/rev:", s:upper():sub(1, 5), ("stressed"):reverse(), ("ab"):rep(3, "-"))
print("bytes:", s:byte(1, 5), string.char(76, 117, 97))
print("format %q:", string.format("%q", 'a "quoted"\nline'))
local packed = string.pack("<i4d", -2, 0.5)
print("pack:", #packed, string.unpack("<i4d", packed))
print("utf8:", utf8.char(72, 228, 8364, 128512), utf8.len("häll€"), utf8.codepoint("€"))

-- load: compile and run a chunk at run time
local f = load("local a, b = ... return a * b + 1")
print("load:", f(6, 7))

-- files in the preopened directory
local out = assert(io.open("lua-out.txt", "w"))
for i = 1, 5 do out:write(string.format("row %d %s\n", i, ("*"):rep(i))) end
out:close()
local lines, bytes = 0, 0
for line in io.lines("lua-out.txt") do lines = lines + 1; bytes = bytes + #line + 1 end
local fh = assert(io.open("lua-out.txt", "r"))
fh:seek("set", 6)
print("file:", lines, "lines,", bytes, "bytes; at 6:", fh:read("l"), "size:", fh:seek("end"))
fh:close()
print("rename:", os.rename("lua-out.txt", "lua-renamed.txt"), io.open("lua-out.txt") == nil)
print("remove:", os.remove("lua-renamed.txt"), io.open("lua-renamed.txt") == nil)
print("missing:", select(2, io.open("no/such/file.txt")))
print("escape:", io.open("../outside.txt") == nil)

-- os
print("env:", os.getenv("GREETING"), os.getenv("NOT_SET"))
print("date:", os.date("!%Y-%m-%d %H:%M:%S", 86400 * 365), os.time{year = 2000, month = 1, day = 1, hour = 12} > 0)
print("clock:", type(os.clock()), os.clock() >= 0)
print("done")
os.exit(3)
