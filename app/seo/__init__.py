"""What search engines and social networks read: sitemap.xml, robots.txt, share images."""
from flask import Blueprint

bp = Blueprint("seo", __name__)

from app.seo import views  # noqa: E402,F401
