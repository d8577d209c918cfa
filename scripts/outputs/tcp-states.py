#!/usr/bin/env python3
"""Draws TCP's state diagram (RFC 9293, the eleven states) for chapter 8.

    python3 scripts/outputs/tcp-states.py [OUT.svg]   default book/generated/tcp-states.svg

scripts/book-outputs.sh runs it with every other generator (and, with --check,
compares its output with the committed file). Python standard library only.

Both books include the same file inline, inside a <figure> whose <figcaption>
(in the page's language) holds the legend, so the drawing itself carries only
what needs no translation: state names, segments, calls and timers. Every line
and letter is drawn in currentColor, the page's text colour, so the diagram
reads in mdBook's light and dark themes alike. The file has no blank line:
inside Markdown, a blank line would end the HTML block.

Line styles: thick solid is a client's usual path (connect, then it closes
first), thick dashed a server's usual path (listen, then it closes second),
thin the other transitions. A label reads "what arrives or what the program
calls / what TCP sends".
"""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
WIDTH, HEIGHT = 800, 650
BOX_W, BOX_H = 132, 34

# state name -> centre of its box
STATES = {
    "CLOSED": (400, 40),
    "LISTEN": (400, 130),
    "SYN_RECEIVED": (180, 230),
    "SYN_SENT": (620, 230),
    "ESTABLISHED": (400, 330),
    "FIN_WAIT_1": (180, 440),
    "CLOSING": (400, 440),
    "CLOSE_WAIT": (620, 440),
    "FIN_WAIT_2": (180, 560),
    "TIME_WAIT": (400, 560),
    "LAST_ACK": (620, 560),
}

CLIENT, SERVER, OTHER = "client", "server", "other"
STYLE = {
    CLIENT: 'stroke-width="2.6"',
    SERVER: 'stroke-width="2.6" stroke-dasharray="8 4"',
    OTHER: 'stroke-width="1.2"',
}

# (from, to, path kind, polyline points, labels: (x, y, anchor, text), …)
TRANSITIONS = [
    ("CLOSED", "LISTEN", SERVER, [(385, 57), (385, 113)], [(379, 89, "end", "listen()")]),
    ("LISTEN", "CLOSED", OTHER, [(415, 113), (415, 57)], [(421, 89, "start", "close()")]),
    ("CLOSED", "SYN_SENT", CLIENT, [(466, 48), (590, 48), (590, 213)],
     [(584, 130, "end", "connect() / SYN")]),
    ("SYN_SENT", "CLOSED", OTHER, [(650, 213), (650, 34), (466, 34)],
     [(658, 120, "start", "close(),"), (658, 135, "start", "timeout, RST")]),
    ("LISTEN", "SYN_RECEIVED", SERVER, [(350, 147), (215, 213)],
     [(292, 196, "start", "SYN / SYN+ACK")]),
    ("SYN_RECEIVED", "LISTEN", OTHER, [(150, 213), (150, 124), (334, 124)],
     [(157, 172, "start", "RST")]),
    ("SYN_SENT", "SYN_RECEIVED", OTHER, [(554, 230), (246, 230)],
     [(400, 247, "middle", "SYN / SYN+ACK")]),
    ("SYN_SENT", "ESTABLISHED", CLIENT, [(580, 247), (440, 313)],
     [(522, 298, "start", "SYN+ACK / ACK")]),
    ("SYN_RECEIVED", "ESTABLISHED", SERVER, [(220, 247), (360, 313)],
     [(282, 298, "end", "ACK")]),
    ("ESTABLISHED", "CLOSE_WAIT", SERVER, [(450, 347), (600, 423)],
     [(534, 378, "start", "FIN / ACK")]),
    ("ESTABLISHED", "FIN_WAIT_1", CLIENT, [(350, 347), (200, 423)],
     [(266, 378, "end", "close() / FIN")]),
    ("SYN_RECEIVED", "FIN_WAIT_1", OTHER, [(140, 247), (140, 423)],
     [(134, 300, "end", "close() / FIN")]),
    ("ESTABLISHED", "CLOSED", OTHER, [(334, 336), (40, 336), (40, 48), (334, 48)],
     [(47, 190, "start", "RST")]),
    ("TIME_WAIT", "CLOSED", CLIENT, [(400, 577), (400, 620), (16, 620), (16, 34), (334, 34)],
     [(208, 613, "middle", "timeout 2MSL")]),
    ("FIN_WAIT_1", "FIN_WAIT_2", CLIENT, [(180, 457), (180, 543)], [(172, 505, "end", "ACK")]),
    ("FIN_WAIT_2", "TIME_WAIT", CLIENT, [(246, 560), (334, 560)],
     [(290, 578, "middle", "FIN / ACK")]),
    ("FIN_WAIT_1", "CLOSING", OTHER, [(246, 440), (334, 440)], [(290, 432, "middle", "FIN / ACK")]),
    ("CLOSING", "TIME_WAIT", OTHER, [(400, 457), (400, 543)], [(406, 505, "start", "ACK")]),
    ("FIN_WAIT_1", "TIME_WAIT", OTHER, [(235, 457), (345, 543)],
     [(284, 514, "end", "FIN+ACK / ACK")]),
    ("CLOSE_WAIT", "LAST_ACK", SERVER, [(620, 457), (620, 543)],
     [(628, 505, "start", "close() / FIN")]),
    ("LAST_ACK", "CLOSED", SERVER, [(686, 560), (770, 560), (770, 10), (415, 10), (415, 23)],
     [(762, 300, "end", "ACK")]),
]


def svg() -> str:
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" style="max-width: 100%; height: auto" '
        'font-family="sans-serif" font-size="13" fill="currentColor" '
        'role="img" aria-labelledby="tcp-states-caption">',
        '<defs><marker id="tcp-states-arrow" viewBox="0 0 10 10" refX="10" refY="5" '
        'markerWidth="9" markerHeight="9" markerUnits="userSpaceOnUse" orient="auto">'
        '<path d="M0,0 L10,5 L0,10 z" fill="currentColor"/></marker></defs>',
    ]
    for source, target, kind, points, labels in TRANSITIONS:
        assert source in STATES and target in STATES, (source, target)
        coords = " ".join(f"{x},{y}" for x, y in points)
        out.append(
            f'<polyline points="{coords}" fill="none" stroke="currentColor" {STYLE[kind]} '
            f'marker-end="url(#tcp-states-arrow)"><title>{source} → {target}</title></polyline>'
        )
        for x, y, anchor, text in labels:
            out.append(f'<text x="{x}" y="{y}" text-anchor="{anchor}">{text}</text>')
    for name, (x, y) in STATES.items():
        out.append(
            f'<rect x="{x - BOX_W // 2}" y="{y - BOX_H // 2}" width="{BOX_W}" height="{BOX_H}" '
            'rx="6" fill="currentColor" fill-opacity="0.07" stroke="currentColor" stroke-width="1.4"/>'
        )
        out.append(
            f'<text x="{x}" y="{y + 5}" text-anchor="middle" font-family="monospace" '
            f'font-size="14" font-weight="bold">{name}</text>'
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main() -> None:
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "book/generated/tcp-states.svg"
    text = svg()
    assert "\n\n" not in text  # a blank line would end the HTML block in Markdown
    assert len(STATES) == 11
    target.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
