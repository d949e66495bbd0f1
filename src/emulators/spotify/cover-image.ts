/**
 * The emulated cover images (i.scdn.co): one small real JPEG served as every album's and playlist's cover
 * on `GET /image/{id}.jpg` (404 for an id the catalog does not have), and the image object the Web API and
 * the embed page point at it with.
 */
import type { ServerResponse } from "node:http";
import { albumsById, playlistsById } from "./catalog.js";

/** A small real JPEG (300×300, Spotify green with a dark square), made once with ffmpeg; served as every album cover. */
export const coverJpeg: Buffer = Buffer.from(
  "/9j/4AAQSkZJRgABAgAAAQABAAD//gAQTGF2YzU5LjM3LjEwMAD/2wBDAAgMDA4MDhAQEBAQEBMSExQUFBMTExMUFBQVFRUZGRkVFRUUFBUVGBgZGRscGxoaGRocHB4eHiQkIiIqKiszMz7/xACKAAEBAQEBAQAAAAAAAAAAAAAABgcIBQEBAQEAAwEBAQAAAAAAAAAAAAAFAwcBBgIEEAEAAAIGCQMBCQEAAAAAAAAAFgaDZETjo8JFpMNlhOQSFwcRFBMFAwIkYyNCUWJhQxEBAAECAQ0BAQEBAAAAAAAAAAECAwSBgqGxU6JRMjQTFNKyETFBIf/AABEIASwBLAMBIgACEQADEQD/2gAMAwEAAhEDEQA/APgCO10AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA8X6h9Q9j8f6fydfV+7p9On0/r97+XYiZn8hkt26rtUUUR+zP8AI/5H8j9/17Qiogq+LdkQVfFu2XtV8NMP3eBidnvUey1EVEFXxbsiCr4t2dqvhpg8DE7Peo9lqIqIKvi3ZEFXxbs7VfDTB4GJ2e9R7LURUQVfFuyIKvi3Z2q+GmDwMTs96j2Woiogq+LdkQVfFuztV8NMHgYnZ71HstRFRBV8W7Igq+Ldnar4aYPAxOz3qPZaiKiCr4t2RBV8W7O1Xw0weBidnvUey1EVEFXxbsiCr4t2dqvhpg8DE7Peo9lqIqIKvi3ZEFXxbs7VfDTB4GJ2e9R7LURUQVfFuyIKvi3Z2q+GmDwMTs96j2Woiogq+LdkQVfFuztV8NMHgYnZ71HstQGFNAAAAAAAAAAAAEVMFnpMi1RUwWekyM1rnjLqUsB1NvO+ZRQCi9qAAAAAAAAAAAAAAAAAAAA2oBIa4AAAAAAAAAAAAEVMFnpMi1RUwWekyM1rnjLqUsB1NvO+ZRQCi9qAAAAAAAAAAAAAAAAAAAA2oBIa4AAAAAAAAAAAAEVMFnpMi1RUwWekyM1rnjLqUsB1NvO+ZRQCi9qAAAAAAAAAAAAAAAAAAAA2oBIa4AAAAAAAAAAAAEVMFnpMi1RUwWekyM1rnjLqUsB1NvO+ZRQCi9qAAAAA7qBwqO6h1xwqO6gHCo7qAcKjdfI2jeK2DCnHQAAAAAG1AJDXAAAAAAAAAAAAAipgs9JkWqKmCz0mRmtc8ZdSlgOpt53zKKAUXtQAAAB3U4Vd1OuAA4AAAAwryNo3itgwpuvkbRvFbBhTj6AAAAAAbUAkNcAAAAAAAAAAAACKmCz0mRaoqYLPSZGa1zxl1KWA6m3nfMooBRe1AAAAHdThV3U64ADgAAADCvI2jeK2DCm6+RtG8VsGFOPoAAAAABtQCQ1wAAAAAAAAAAAAIqYLPSZFqipgs9JkZrXPGXUpYDqbed8yigFF7UAAAAd1OFXdTrgAOAAAAMK8jaN4rYMKbr5G0bxWwYU4+gAAAAAG1AJDXAAAAAAAAAAAAAipgs9JkWqKmCz0mRmtc8ZdSlgOpt53zKKAUXtQAAABuvcbdutcuwoBuvcbdutcudxt261y7CgG69xt261y53G3brXLsKAbr3G3brXLncbdutcuwoBdzHMcQe2/De3+D5f+vydXydH5f2fp6dH++vqhAAAAAAABtQCQ1wAAAAAAAAAAAAIqYLPSZFqipgs9JkZrXPGXUpYDqbed8yigFF7UAAAAAAAAAAAAAAAAAAABtQCQ1wAAAAAAAAAAAAIqYLPSZFqipgs9JkZrXPGXUpYDqbed8yigFF7UAAAAAAAAAAAAAAAAAAABtQCQ1wAAAAAAAAAAAAIqYLPSZFqipgs9JkZrXPGXUpYDqbed8yigFF7UAAAAAAAAAAAAAAAAAAABtQCQ1wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/9k=",
  "base64",
);

/** The image object for a cover at `coverPath` on the emulator at `origin`: 300×300, like Spotify's. */
export function coverImage(
  origin: string,
  coverPath: string,
): { url: string; width: number; height: number } {
  return { url: `${origin}${coverPath}`, width: 300, height: 300 };
}

/** Answer `GET /image/{id}.jpg`. */
export function handleImage(res: ServerResponse, path: string): void {
  const id = /^\/image\/([0-9A-Za-z]{22})\.jpg$/.exec(path)?.[1];
  if (id === undefined || (!albumsById.has(id) && !playlistsById.has(id))) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { "content-type": "image/jpeg", "content-length": coverJpeg.length });
  res.end(coverJpeg);
}
