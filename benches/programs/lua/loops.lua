-- Numeric loops: integer arithmetic (Collatz steps, a multiplicative hash), a float
-- Mandelbrot set, and nested loops with a running sum. Prints one checksum line.

local function collatz(limit)
  local total = 0
  for n = 1, limit do
    local x, steps = n, 0
    while x ~= 1 do
      if x % 2 == 0 then x = x // 2 else x = 3 * x + 1 end
      steps = steps + 1
    end
    total = total + steps
  end
  return total
end

local function mandelbrot(size, iters)
  local inside = 0
  for py = 0, size - 1 do
    local ci = 2.0 * py / size - 1.0
    for px = 0, size - 1 do
      local cr = 2.5 * px / size - 2.0
      local zr, zi, i = 0.0, 0.0, 0
      while i < iters and zr * zr + zi * zi <= 4.0 do
        zr, zi = zr * zr - zi * zi + cr, 2.0 * zr * zi + ci
        i = i + 1
      end
      if i == iters then inside = inside + 1 end
      inside = inside + i
    end
  end
  return inside
end

local function nested(n)
  local h = 0
  for i = 1, n do
    for j = 1, n do
      h = (h * 31 + (i ~ j) + (i * j) % 7) & 0xffffffff
    end
  end
  return h
end

local a = collatz(40000)
local b = mandelbrot(100, 100)
local c = nested(400)
print(string.format("loops: collatz %d mandelbrot %d nested %d", a, b, c))
