"""Scrapy as a user would write it, for bench/peers:

    python3 scrapy_spider.py --out FILE --concurrency N [--delay-ms MS] [--max-pages N] URL...

A plain Spider following every <a href> with response.follow (faster than CrawlSpider +
LinkExtractor). Same host only (allowed_domains + OffsiteMiddleware), robots.txt obeyed,
no delay unless asked, url + title per page written by Scrapy's own feed exporter as JSON
lines. mailto:, javascript: and similar links are skipped before follow: Scrapy 2.8's
follow/follow_all raise on them.
"""

import argparse
import re
from urllib.parse import urlsplit

import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.http import TextResponse

UNFOLLOWABLE = re.compile(r"^\s*(mailto|javascript|tel|data|ftp):", re.IGNORECASE)


class SiteSpider(scrapy.Spider):
    name = "bench"

    def start_requests(self):
        # Start requests bypass the duplicate filter by default, so the start page would be
        # fetched again when a page links back to it.
        for url in self.start_urls:
            yield scrapy.Request(url, dont_filter=False)

    def parse(self, response):
        if not isinstance(response, TextResponse):
            yield {"url": response.url, "status": response.status, "title": None}
            return
        title = response.css("title::text").get()
        if title is not None:
            title = " ".join(title.split())
        yield {"url": response.url, "status": response.status, "title": title}
        for href in response.css("a::attr(href)").getall():
            if not UNFOLLOWABLE.match(href):
                yield response.follow(href, callback=self.parse)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--delay-ms", type=int, default=0)
    parser.add_argument("--max-pages", type=int, default=0)
    parser.add_argument("urls", nargs="+")
    args = parser.parse_args()

    hosts = sorted({urlsplit(u).hostname for u in args.urls})
    settings = {
        "ROBOTSTXT_OBEY": True,
        "CONCURRENT_REQUESTS": args.concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": args.concurrency if args.delay_ms == 0 else 1,
        "CONCURRENT_REQUESTS_PER_IP": 0,
        "DOWNLOAD_DELAY": args.delay_ms / 1000,
        # A fixed delay, as Trawl's --delay and Crawlee's sameDomainDelaySecs are.
        "RANDOMIZE_DOWNLOAD_DELAY": False,
        "LOG_LEVEL": "WARNING",
        "TELNETCONSOLE_ENABLED": False,
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
        "CLOSESPIDER_PAGECOUNT": args.max_pages,
        "FEEDS": {args.out: {"format": "jsonlines", "encoding": "utf8", "overwrite": True}},
    }
    process = CrawlerProcess(settings)
    process.crawl(SiteSpider, start_urls=args.urls, allowed_domains=hosts)
    process.start()


if __name__ == "__main__":
    main()
