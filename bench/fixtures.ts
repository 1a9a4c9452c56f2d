/** The texts the codec benchmark parses: a typical purchase receipt and a full X-report. */

/** A purchase response as a terminal sends it (the vendor example, with Cyrillic header lines). */
export function receiptResponseXml(): string {
  return [
    '<transaction><status>ok</status><receipt>',
    '<header><line>ООО «Ромашка»</line><line>г. Москва, ул. Тверская, 1</line><line>ИНН 7701234567</line></header>',
    '<tid>1000000001</tid><mid>012345678912345</mid><seq>000009</seq><type>purchase</type><state>active</state>',
    '<tstatus>approved</tstatus><amount-authorized>000000012300</amount-authorized><currency>643</currency>',
    '<aid>A0000000031010</aid><appname>VISA Classic</appname><pan>************1234</pan><aed>300331</aed>',
    '<rrn>120157645346</rrn><resp-code>000</resp-code><auth-number>AFK045</auth-number><datetime>180328120133</datetime>',
    '<tsi>EF00</tsi><tvr>2040300000</tvr><decline-reason/><acquirer-tag>abc</acquirer-tag><bank-name>demo</bank-name>',
    '<footer><line>Спасибо за покупку!</line></footer><record>A1234DF3</record>',
    '</receipt><error-stack/></transaction>',
  ].join('');
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** A `report` response with a full X-report of `count` transactions (deterministic). */
export function xreportResponseXml(count: number): string {
  const out: string[] = [
    '<report><status>ok</status><xreport><header><mid>M123456789012345</mid><tid>1000000001</tid>',
    '<title><line>ООО «Ромашка»</line><line>X-отчёт</line></title><cur>643</cur><time>181229120002</time></header><transactions>',
  ];
  for (let i = 0; i < count; i++) {
    const refund = i % 10 === 9;
    out.push(
      `<t><status>${i % 17 === 0 ? 'declined' : 'approved'}</status><state>active</state><type>${refund ? 'refund' : 'purchase'}</type>`,
      `<seq>${pad(i + 1, 6)}</seq><aa>${pad(100 + ((i * 7919) % 500_000), 12)}</aa><ao>000000000000</ao><rrn>${pad(647394847384 + i, 12)}</rrn>`,
      `<time>1803${pad(10 + (i % 18), 2)}${pad(i % 24, 2)}${pad(i % 60, 2)}${pad((i * 7) % 60, 2)}</time><apn>AFJ${pad(i % 1000, 3)}</apn><arc>000</arc>`,
      `<cur>643</cur><pan>************${pad(i % 10_000, 4)}</pan><aed>301231</aed><aid>A0000000031010</aid><tvr>0000000000</tvr><tsi>E800</tsi></t>`,
    );
  }
  out.push('</transactions><totals>');
  for (const [rid, name] of [
    ['A000000003', 'VISA'],
    ['A000000004', 'MASTERCARD'],
    ['A000000658', 'MIR'],
  ]) {
    out.push(
      `<card-type><rid>${rid}</rid><name>${name}</name><purchase-count>3000</purchase-count><purchase-sum>000001000000</purchase-sum>`,
      '<refund-count>300</refund-count><refund-sum>000000100000</refund-sum><purchase-with-cashback-count>0</purchase-with-cashback-count>',
      '<purchase-with-cashback-sum>000000000000</purchase-with-cashback-sum><purchase-reversal-count>0</purchase-reversal-count>',
      '<purchase-reversal-sum>000000000000</purchase-reversal-sum><refund-reversal-count>0</refund-reversal-count>',
      '<refund-reversal-sum>000000000000</refund-reversal-sum><total-card-sum>C000000900000</total-card-sum><total-card-count>3300</total-card-count></card-type>',
    );
  }
  out.push(
    '</totals><grand-totals><purchase-total-count>9000</purchase-total-count><purchase-total-sum>000003000000</purchase-total-sum>',
    '<refund-total-count>900</refund-total-count><refund-total-sum>000000300000</refund-total-sum>',
    '<purchase-with-cashback-total-count>0</purchase-with-cashback-total-count><purchase-with-cashback-total-sum>000000000000</purchase-with-cashback-total-sum>',
    '<purchase-reversal-total-count>0</purchase-reversal-total-count><purchase-reversal-total-sum>000000000000</purchase-reversal-total-sum>',
    '<refund-reversal-total-count>0</refund-reversal-total-count><refund-reversal-total-sum>000000000000</refund-reversal-total-sum>',
    '<total-sum>C000002700000</total-sum><total-count>9900</total-count></grand-totals></xreport></report>',
  );
  return out.join('');
}
