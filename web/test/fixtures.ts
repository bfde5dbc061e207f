// Default props of every tldraw 5.4.2 shape type, taken from its ShapeUtils getDefaultProps()
// (with a little content added), so round-trip tests cover every shape type the app can create.
// If a tldraw upgrade changes a shape, validation in the tests fails and this file needs updating.

/** Props per default shape type. */
export const defaultShapeProps: Record<string, Record<string, unknown>> = {
  "text": {
    "color": "black",
    "size": "m",
    "w": 8,
    "font": "draw",
    "textAlign": "start",
    "autoSize": true,
    "scale": 1,
    "richText": {
      "type": "doc",
      "content": [
        {
          "type": "paragraph",
          "content": [
            {
              "type": "text",
              "text": "hello"
            }
          ]
        }
      ]
    }
  },
  "bookmark": {
    "url": "https://example.com",
    "w": 300,
    "h": 320,
    "assetId": null
  },
  "draw": {
    "segments": [
      {
        "type": "free",
        "path": "AAAAAAAAAAAASQBFAEkARw==",
        "dim": 2
      },
      {
        "type": "straight",
        "path": "AAAAAAAAAAAASQBFAEkARw==",
        "dim": 2
      }
    ],
    "color": "black",
    "fill": "none",
    "dash": "draw",
    "size": "m",
    "isComplete": true,
    "isClosed": false,
    "isPen": false,
    "scale": 1,
    "scaleX": 1,
    "scaleY": 1
  },
  "geo": {
    "w": 100,
    "h": 100,
    "geo": "rectangle",
    "dash": "draw",
    "growY": 0,
    "url": "",
    "scale": 1,
    "flipX": false,
    "flipY": false,
    "color": "black",
    "labelColor": "black",
    "fill": "none",
    "size": "m",
    "font": "draw",
    "align": "middle",
    "verticalAlign": "middle",
    "richText": {
      "type": "doc",
      "content": [
        {
          "type": "paragraph",
          "content": [
            {
              "type": "text",
              "text": "hello"
            }
          ]
        }
      ]
    }
  },
  "note": {
    "color": "black",
    "richText": {
      "type": "doc",
      "content": [
        {
          "type": "paragraph",
          "content": [
            {
              "type": "text",
              "text": "hello"
            }
          ]
        }
      ]
    },
    "size": "m",
    "font": "draw",
    "align": "middle",
    "verticalAlign": "middle",
    "labelColor": "black",
    "growY": 0,
    "fontSizeAdjustment": 1,
    "url": "",
    "scale": 1,
    "textLastEditedBy": null
  },
  "line": {
    "dash": "draw",
    "size": "m",
    "color": "black",
    "spline": "line",
    "points": {
      "a1": {
        "id": "a1",
        "index": "a1",
        "x": 0,
        "y": 0
      },
      "a20KU": {
        "id": "a20KU",
        "index": "a20KU",
        "x": 0.1,
        "y": 0.1
      }
    },
    "scale": 1
  },
  "frame": {
    "w": 320,
    "h": 180,
    "name": "Frame",
    "color": "black"
  },
  "arrow": {
    "kind": "arc",
    "elbowMidPoint": 0.5,
    "dash": "draw",
    "size": "m",
    "fill": "none",
    "color": "black",
    "labelColor": "black",
    "bend": 0,
    "start": {
      "x": 0,
      "y": 0
    },
    "end": {
      "x": 2,
      "y": 0
    },
    "arrowheadStart": "none",
    "arrowheadEnd": "arrow",
    "richText": {
      "type": "doc",
      "content": [
        {
          "type": "paragraph"
        }
      ]
    },
    "labelPosition": 0.5,
    "font": "draw",
    "scale": 1
  },
  "highlight": {
    "segments": [
      {
        "type": "free",
        "path": "AAAAAAAAAAAASQBFAEkARw==",
        "dim": 2
      }
    ],
    "color": "black",
    "size": "m",
    "isComplete": true,
    "isPen": false,
    "scale": 1,
    "scaleX": 1,
    "scaleY": 1
  },
  "embed": {
    "w": 300,
    "h": 300,
    "url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
  },
  "image": {
    "w": 640,
    "h": 480,
    "assetId": "asset:image1",
    "playing": true,
    "url": "",
    "crop": null,
    "flipX": false,
    "flipY": false,
    "altText": ""
  },
  "video": {
    "w": 100,
    "h": 100,
    "assetId": null,
    "autoplay": true,
    "url": "",
    "altText": "",
    "time": 0,
    "playing": true
  },
  "group": {}
}
