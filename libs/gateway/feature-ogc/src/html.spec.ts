import { describe, expect, it } from '@jest/globals';
import { renderHtml } from './html';

describe('HTML pages', () => {
  it('escapes every piece of user data and links the pages', () => {
    const html = renderHtml('Assets: features', {
      links: [
        { rel: 'next', type: 'text/html', title: 'Next page', href: 'http://x/ogc/collections/assets/items?a=1&b=2' },
      ],
      features: [
        {
          id: 'a1',
          geometry: { type: 'Point', coordinates: [1, 2] },
          properties: { name: '<script>alert(1)</script>', kind: 'drone' },
        },
      ],
      numberMatched: 1,
      numberReturned: 1,
    });
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('href="http://x/ogc/collections/assets/items?a=1&amp;b=2"');
    expect(html).toContain('1 of 1 features');
  });
});
