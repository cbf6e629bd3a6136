// Visible elements sticking out of the window, of a result card, of the drawer or of the top
// bars; returns one description per offender (an empty list when nothing is clipped).
() => {
  const out = [];
  const width = document.documentElement.clientWidth;
  const pageWidth = document.documentElement.scrollWidth;
  if (pageWidth > width) out.push(`page scrolls sideways: ${pageWidth} > ${width}`);
  for (const box of document.querySelectorAll(".post, #drawer:not([hidden]), #filters, header")) {
    const name = box.id || box.className;
    if (box.scrollWidth > box.clientWidth + 1) out.push(`${name} overflows: ${box.scrollWidth} > ${box.clientWidth}`);
    const right = Math.min(box.getBoundingClientRect().right, width);
    for (const child of box.querySelectorAll("*")) {
      const r = child.getBoundingClientRect();
      if (r.width && r.right > right + 1) out.push(`${child.tagName}.${child.className} in ${name} ends at ${r.right} > ${right}`);
    }
  }
  return out;
}
