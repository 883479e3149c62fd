"""Draw the app icon (a register ledger with a tick) at several sizes, with Qt, offscreen.

Writes ``desktop/resources/icons/app.png`` (shipped: window icon) and ``resources/icons/app.ico`` /
``app-256.png`` (installer art, not shipped). Usage: QT_QPA_PLATFORM=offscreen python tools/make_icon.py
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter, QPainterPath, QPen

ROOT = Path(__file__).resolve().parent.parent


def draw(size: int) -> QImage:
    img = QImage(size, size, QImage.Format.Format_ARGB32)
    img.fill(Qt.GlobalColor.transparent)
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    s = size / 64.0
    # page
    page = QRectF(10 * s, 6 * s, 44 * s, 52 * s)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor("#1d70b8"))
    p.drawRoundedRect(page, 6 * s, 6 * s)
    p.setBrush(QColor("#ffffff"))
    p.drawRoundedRect(page.adjusted(5 * s, 5 * s, -5 * s, -5 * s), 3 * s, 3 * s)
    # ruled lines
    p.setPen(QPen(QColor("#b1b4b6"), max(1.0, 2 * s)))
    for y in (20, 28, 36):
        p.drawLine(QPointF(20 * s, y * s), QPointF(44 * s, y * s))
    # tick
    path = QPainterPath(QPointF(24 * s, 44 * s))
    path.lineTo(30 * s, 50 * s)
    path.lineTo(46 * s, 34 * s)
    pen = QPen(QColor("#00703c"), max(2.0, 5 * s))
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    p.setPen(pen)
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawPath(path)
    p.end()
    return img


def main() -> int:
    QGuiApplication(sys.argv)
    (ROOT / "desktop" / "resources" / "icons").mkdir(parents=True, exist_ok=True)
    (ROOT / "resources" / "icons").mkdir(parents=True, exist_ok=True)
    draw(256).save(str(ROOT / "desktop" / "resources" / "icons" / "app.png"))
    draw(256).save(str(ROOT / "resources" / "icons" / "app-256.png"))
    ok = draw(256).save(str(ROOT / "resources" / "icons" / "app.ico"), "ICO")
    print("ico written" if ok else "ico writer missing: convert app-256.png to app.ico on Windows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
