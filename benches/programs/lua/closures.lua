-- Closures and upvalues: counters and accumulators that share upvalues, closures made in
-- loops (one fresh upvalue per iteration), higher-order map/filter/fold over arrays,
-- function composition and currying, and recursion through an upvalue. Prints one
-- checksum line.

local function counter()
  local n = 0
  return function(k) n = n + k; return n end, function() return n end
end

local function map(f, a)
  local r = {}
  for i = 1, #a do r[i] = f(a[i]) end
  return r
end

local function filter(p, a)
  local r = {}
  for i = 1, #a do if p(a[i]) then r[#r + 1] = a[i] end end
  return r
end

local function fold(f, acc, a)
  for i = 1, #a do acc = f(acc, a[i]) end
  return acc
end

local function compose(f, g) return function(x) return f(g(x)) end end
local function adder(k) return function(x) return x + k end end
local function curry3(f) return function(a) return function(b) return function(c) return f(a, b, c) end end end end

local function counters(n)
  local h = 0
  for i = 1, n do
    local inc, get = counter()
    for k = 1, 20 do inc(k + i) end
    h = (h + get()) & 0xffffffff
  end
  return h
end

local function pipeline(n, rounds)
  local a = {}
  for i = 1, n do a[i] = i end
  local h = 0
  for r = 1, rounds do
    local f = compose(adder(r), function(x) return x * 3 end)
    local b = map(f, a)
    local c = filter(function(x) return x % 4 ~= r % 4 end, b)
    h = (h + fold(function(acc, x) return (acc * 7 + x) & 0xffffff end, r, c)) & 0xffffffff
  end
  return h
end

local function makers(n)
  local fs = {}
  for i = 1, n do fs[i] = function(x) return x * i + 1 end end
  local h = 0
  for rep = 1, 30 do
    for i = 1, n do h = (h + fs[i](rep)) & 0xffffffff end
  end
  local f3 = curry3(function(a, b, c) return a * 100 + b * 10 + c end)
  for i = 1, n do h = (h + f3(i % 10)(i % 7)(i % 3)) & 0xffffffff end
  return h
end

local function fibs(n)
  local fib
  fib = function(k) if k < 2 then return k end return fib(k - 1) + fib(k - 2) end
  return fib(n)
end

local a = counters(20000)
local b = pipeline(5000, 40)
local c = makers(20000)
local d = fibs(24)
print(string.format("closures: counters %d pipeline %d makers %d fib %d", a, b, c, d))
