// Draws every chart on the page: each <div class="chart" data-option="ID"> gets
// the ECharts option in <script type="application/json" id="ID">, built on the server.
(function () {
  function draw() {
    document.querySelectorAll(".chart[data-option]").forEach(function (el) {
      var source = document.getElementById(el.dataset.option);
      if (!source) return;
      var chart = echarts.init(el, null, { renderer: "svg" });
      chart.setOption(JSON.parse(source.textContent));
      window.addEventListener("resize", function () { chart.resize(); });
      el.dataset.drawn = "1";
    });
    document.querySelectorAll("select[data-autosubmit]").forEach(function (el) {
      el.addEventListener("change", function () { el.form.submit(); });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
