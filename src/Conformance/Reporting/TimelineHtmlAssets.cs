using System.Xml.Linq;

namespace Conformance.Reporting;

/// <summary>
/// The timeline page's inline style sheet and its one inline script (<see cref="TimelineHtml"/>).
/// The script opens and closes every cut, and on a link to a step (<c>#step-N</c>, in the URL or
/// clicked in the explanation) opens the cut that holds the step and scrolls to it; <c>#open-cuts</c>
/// opens every cut. Without script the page still reads: a cut opens on a click by itself.
/// </summary>
public static class TimelineHtmlAssets
{
    /// <summary>No <c>&gt;</c>, <c>&lt;</c> or <c>&amp;</c>: the page is written as XML, and a style element's text must stay what it is.</summary>
    public const string Css = """
        body { font-family: system-ui, sans-serif; margin: 1.5em; color: #1a1a1a; }
        h1 { font-size: 1.3em; margin-bottom: 0.4em; }
        h2 { font-size: 1.1em; margin-top: 1.2em; }
        table.header th { text-align: left; padding-right: 1em; vertical-align: top; color: #555; font-weight: 600; }
        table.header td { font-family: ui-monospace, monospace; font-size: 12px; overflow-wrap: anywhere; }
        .versions { display: flex; flex-wrap: wrap; gap: 12px; margin-top: 1em; }
        .version { border: 1px solid #bbb; border-radius: 4px; padding: 6px 10px; min-width: 14em; }
        .version .role { font-weight: 600; }
        .version code, .version .asm { font-family: ui-monospace, monospace; font-size: 12px; }
        .version .effect { color: #555; font-size: 12px; }
        .version.old { background: #f3f3f3; } .version.new { background: #e6f4e6; } .version.trap { background: #f6e6f6; }
        .legend { color: #555; font-size: 13px; }
        .toolbar button { font-size: 12px; margin-right: 0.5em; }
        .explanation p { font-family: ui-monospace, monospace; font-size: 12px; margin: 0.2em 0; white-space: pre-wrap; }
        .timeline-box { max-width: 100%; overflow-x: auto; border: 1px solid #ccc; background: #fff; }
        .timeline { font-family: ui-monospace, monospace; font-size: 12px; }
        .timeline svg { display: block; }
        .lane-bg { fill: #fafafa; stroke: #ddd; }
        .lane.patcher .lane-bg, .lane-bg.patcher { fill: #fff7ee; }
        .lane-title { font-weight: 700; font-size: 13px; }
        .band { fill: transparent; stroke: #eee; }
        .stretch .band { fill: #fff8d6; }
        .offending-row .band { fill: #ffe3e3; }
        .row:target .band { fill: #fff2a8; }
        .gutter { fill: #555; } .gutter .step { font-weight: 600; } .gutter .time { fill: #999; }
        .event rect { fill: #eeeeee; stroke: #bbb; }
        .event.fetch rect { fill: #dcebff; stroke: #7aa7e0; }
        .event.store rect, .event.handler-store rect { fill: #ffd9a8; stroke: #d9914a; }
        .event.sync-sent rect, .event.sync-ack rect, .event.sync-complete rect { fill: #d8f2d0; stroke: #7cbf6b; }
        .event.delivered rect, .event.interrupt-raised rect, .event.task-switch rect, .event.thread-switch rect { fill: #e7dcff; stroke: #9b83d9; }
        .event.handler-action rect, .event.handler-return rect, .event.breakpoint-trap rect { fill: #f8d5ec; stroke: #c97cae; }
        .event.fault rect, .event.writer-failed rect { fill: #ffc4c4; stroke: #d66; }
        .event.wait rect { fill: #f7f7f7; stroke: #ccc; stroke-dasharray: 3 2; }
        .event.offending rect { fill: #e53935; stroke: #7f0000; stroke-width: 3; }
        .event.offending text { fill: #fff; font-weight: 700; }
        .cut summary, .cut.empty { display: flex; align-items: center; gap: 8px; padding: 4px 0; color: #666; font-style: italic; }
        .cut summary { cursor: pointer; list-style: none; }
        .cut summary::-webkit-details-marker { display: none; }
        .cut-line { border-top: 1px dashed #999; height: 0; }
        .cut-line.lead { flex: 0 0 16px; } .cut-line.rest { flex: 1 1 auto; }
        .cut-label { position: sticky; left: 8px; white-space: nowrap; background: #fff; padding: 0 4px; }
        .cut summary:hover .cut-label, .cut summary:focus-visible .cut-label { color: #1a1a1a; text-decoration: underline; }
        .cut-hint::before { content: "\25b8  show"; font-style: normal; color: #2a6ebb; white-space: nowrap; }
        .cut[open] .cut-hint::before { content: "\25be  hide"; }
        .cut[open] { background: #f6f6f6; }
        .cut-note { margin: 2px 8px; color: #666; font-style: italic; }
        """;

    /// <summary>Plain ES5 in a CDATA section behind line comments: valid XML and valid HTML at once.</summary>
    private const string Js = """

        (function () {
          'use strict';
          function cuts() { return Array.prototype.slice.call(document.querySelectorAll('details.cut')); }
          function setAll(open) { cuts().forEach(function (d) { d.open = open; }); }
          function reveal(id) {
            if (!id) return;
            if (id === 'open-cuts') { setAll(true); return; }
            var el = document.getElementById(id);
            if (!el) return;
            for (var d = el.closest('details'); d; d = d.parentElement.closest('details')) d.open = true;
            el.scrollIntoView({ block: 'center', inline: 'nearest' });
          }
          function fromHash() { reveal(decodeURIComponent(location.hash.slice(1))); }
          var open = document.getElementById('open-cuts'), close = document.getElementById('close-cuts');
          if (open) open.addEventListener('click', function () { setAll(true); });
          if (close) close.addEventListener('click', function () { setAll(false); });
          document.addEventListener('click', function (e) {
            var a = e.target.closest ? e.target.closest('a.step-link') : null;
            if (!a) return;
            var id = a.getAttribute('href').slice(1);
            if (location.hash === '#' + id) { e.preventDefault(); reveal(id); }
          });
          window.addEventListener('hashchange', fromHash);
          fromHash();
        })();
        //
        """;

    public static XElement Script() => new("script", new XText("\n//"), new XCData(Js), new XText("\n"));
}
