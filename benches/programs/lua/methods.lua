-- Object-oriented code through metatables: classes with __index, single inheritance with
-- overridden and inherited methods (method calls with `:`), a vector class with __add,
-- __mul, __eq and __tostring metamethods, and an __index function with a fallback. Prints
-- one checksum line.

local Shape = {}
Shape.__index = Shape
function Shape.new(x, y) return setmetatable({ x = x, y = y }, Shape) end
function Shape:move(dx, dy) self.x = self.x + dx; self.y = self.y + dy end
function Shape:area() return 0 end
function Shape:weight() return self:area() + self.x + self.y end

local Rect = setmetatable({}, { __index = Shape })
Rect.__index = Rect
function Rect.new(x, y, w, h)
  local r = Shape.new(x, y)
  r.w, r.h = w, h
  return setmetatable(r, Rect)
end
function Rect:area() return self.w * self.h end

local Square = setmetatable({}, { __index = Rect })
Square.__index = Square
function Square.new(x, y, s) return setmetatable(Rect.new(x, y, s, s), Square) end
function Square:grow(k) self.w = self.w + k; self.h = self.h + k end

local Circle = setmetatable({}, { __index = Shape })
Circle.__index = Circle
function Circle.new(x, y, r)
  local c = Shape.new(x, y)
  c.r = r
  return setmetatable(c, Circle)
end
function Circle:area() return 3 * self.r * self.r end

local Vec = {}
Vec.__index = Vec
local function vec(x, y) return setmetatable({ x = x, y = y }, Vec) end
Vec.__add = function(a, b) return vec(a.x + b.x, a.y + b.y) end
Vec.__mul = function(a, k) return vec(a.x * k, a.y * k) end
Vec.__eq = function(a, b) return a.x == b.x and a.y == b.y end
Vec.__tostring = function(a) return "(" .. a.x .. "," .. a.y .. ")" end
function Vec:dot(b) return self.x * b.x + self.y * b.y end

local function shapes(n, rounds)
  local list = {}
  for i = 1, n do
    local k = i % 3
    if k == 0 then list[i] = Rect.new(i, -i, i % 13 + 1, i % 7 + 1)
    elseif k == 1 then list[i] = Square.new(-i, i, i % 11 + 1)
    else list[i] = Circle.new(i, i, i % 5 + 1) end
  end
  local h = 0
  for r = 1, rounds do
    for i = 1, n do
      local s = list[i]
      s:move(r, -r)
      if s.grow then s:grow(1) end
      h = (h + s:weight()) & 0xffffffff
    end
  end
  return h
end

local function vectors(n)
  local acc, h = vec(0, 0), 0
  for i = 1, n do
    local v = vec(i % 17, i % 23) * 2 + vec(1, -1)
    acc = acc + v
    h = (h + v:dot(acc)) & 0xffffffff
    if v == vec(1, -1) then h = h + 1 end
  end
  return (h + #tostring(acc)) & 0xffffffff
end

local function defaults(n)
  local proto = { color = 7, size = 3 }
  local obj = setmetatable({}, { __index = function(t, k) return proto[k] or #k end })
  local h = 0
  for i = 1, n do
    h = (h + obj.color + obj.size + obj.missing) & 0xffffffff
    if i % 1000 == 0 then obj.color = nil; proto.color = i % 9 end
  end
  return h
end

local a = shapes(3000, 25)
local b = vectors(40000)
local c = defaults(100000)
print(string.format("methods: shapes %d vectors %d defaults %d", a, b, c))
