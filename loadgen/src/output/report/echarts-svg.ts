import * as echarts from 'echarts';

export const CHART_WIDTH_PX = 760;
export const CHART_HEIGHT_PX = 340;

/**
 * Renders one ECharts option to a static SVG string on the server (ECharts' SSR mode): the page
 * stays one self-contained file with no script, readable when mailed or opened from CI artifacts.
 */
export function renderSvg(option: echarts.EChartsOption, widthPx = CHART_WIDTH_PX, heightPx = CHART_HEIGHT_PX): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: widthPx, height: heightPx });
  try {
    chart.setOption({ animation: false, textStyle: { fontFamily: 'sans-serif' }, ...option });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}
